// The card form of the payment page. The card is typed into Stripe's own fields (the Payment
// Element); Stripe.js turns it into a payment method id, which this form posts to the server,
// which confirms the payment with the owner's secret key. When the bank asks for a 3-D Secure
// check, the page comes back with the intent's client secret and Stripe.js runs the check.
//
// In tests, localstripe serves a stand-in for Stripe.js that has only the older card element
// and tokens: the same form then posts the id of the token's card.
(function () {
  "use strict";
  const form = document.getElementById("card-payment");
  if (!form || typeof window.Stripe !== "function") {
    return;
  }
  const lang = document.documentElement.lang || "fr";
  const stripe = window.Stripe(form.dataset.publishableKey, { locale: lang });
  const status = document.getElementById("card-status");
  const button = form.querySelector("button[type=submit]");
  const field = form.querySelector("input[name=payment_method]");
  const paymentElementAvailable = typeof stripe.handleNextAction === "function";
  const messages = {
    fr: {
      working: "Paiement en cours…",
      failed: "Le paiement n'a pas abouti : ",
      check: "Votre banque demande une confirmation…",
    },
    en: {
      working: "Payment in progress…",
      failed: "The payment did not go through: ",
      check: "Your bank asks for a confirmation…",
    },
  }[lang.slice(0, 2)] || {};

  function say(text) {
    status.textContent = text;
  }

  function refresh() {
    // Post the refresh form: the server reads the payment at Stripe again.
    const refreshForm = document.createElement("form");
    refreshForm.method = "post";
    refreshForm.action = form.dataset.refreshUrl;
    refreshForm.appendChild(form.querySelector("input[name=csrfmiddlewaretoken]").cloneNode());
    document.body.appendChild(refreshForm);
    refreshForm.submit();
  }

  let elements;
  let card;
  if (paymentElementAvailable) {
    elements = stripe.elements({
      mode: "payment",
      amount: Number(form.dataset.amount),
      currency: "eur",
      captureMethod: form.dataset.holdFirst === "true" ? "manual" : "automatic",
      paymentMethodCreation: "manual",
      paymentMethodTypes: ["card"],
    });
    card = elements.create("payment");
  } else {
    elements = stripe.elements();
    card = elements.create("card");
  }
  card.mount("#card-element");

  async function paymentMethodId() {
    if (paymentElementAvailable) {
      const submitted = await elements.submit();
      if (submitted.error) {
        return { error: submitted.error };
      }
      const created = await stripe.createPaymentMethod({ elements: elements });
      return created.error ? { error: created.error } : { id: created.paymentMethod.id };
    }
    const tokenised = await stripe.createToken(card);
    return tokenised.error ? { error: tokenised.error } : { id: tokenised.token.card.id };
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    say(messages.working);
    const result = await paymentMethodId();
    if (result.error) {
      say(messages.failed + (result.error.message || ""));
      button.disabled = false;
      return;
    }
    field.value = result.id;
    form.submit();
  });

  const clientSecret = form.dataset.clientSecret;
  if (clientSecret) {
    say(messages.check);
    const check = paymentElementAvailable
      ? stripe.handleNextAction({ clientSecret: clientSecret })
      : stripe.confirmCardPayment(clientSecret);
    check.then(refresh);
  }
})();
