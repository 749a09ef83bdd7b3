"""Pages of payments, one module per concern (cards: paying and refunding; channels: how
each organisation collects its fees)."""
