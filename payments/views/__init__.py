"""Pages of payments, one module per concern (cards: paying and refunding)."""
