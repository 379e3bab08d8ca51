// The card form on the payment page: Stripe.js Elements (localstripe's mock in development).
// Card data goes from the browser to Stripe only; our server receives a token id.
(function () {
  let stripe = null, elements = null, card = null, loaded = null;

  function loadStripe(url) {
    if (window.Stripe) return Promise.resolve();
    if (!loaded) {
      loaded = new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = url;
        s.onload = resolve;
        s.onerror = () => { loaded = null; reject(new Error("Stripe.js could not be loaded")); };
        document.head.appendChild(s);
      });
    }
    return loaded;
  }

  const AUTOCOMPLETE = {number: "cc-number", exp_month: "cc-exp-month", exp_year: "cc-exp-year", cvc: "cc-csc",
                        postal_code: "postal-code"};

  // Friendlier labels for the mock's bare inputs (the real Element renders its own iframe).
  function labelMockInputs(container) {
    const labels = {number: "Card number", exp_month: "MM", exp_year: "YY", cvc: "CVC", postal_code: "ZIP"};
    const names = {number: "Card number", exp_month: "Expiry month (MM)", exp_year: "Expiry year (YY)",
                   cvc: "Security code (CVC)", postal_code: "Postal code"};
    container.querySelectorAll("input").forEach((input) => {
      const key = input.getAttribute("placeholder");
      if (labels[key]) {
        input.setAttribute("aria-label", names[key]);
        input.setAttribute("placeholder", labels[key]);
        input.setAttribute("inputmode", "numeric");
        input.setAttribute("autocomplete", AUTOCOMPLETE[key] || "off");
        input.dataset.field = key;
      }
    });
  }

  async function mount(stripeJsUrl, publishableKey, selector) {
    try {
      await loadStripe(stripeJsUrl);
      for (let i = 0; i < 50 && !document.querySelector(selector); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const container = document.querySelector(selector);
      if (!container) return {error: "The card form could not be shown."};
      if (card && container.childElementCount > 0) return {ok: true};
      if (card) { card.destroy(); card = null; }
      stripe = stripe || window.Stripe(publishableKey);
      elements = stripe.elements();
      card = elements.create("card", {hidePostalCode: false});
      card.mount(container);
      labelMockInputs(container);
      return {ok: true};
    } catch (e) {
      return {error: String(e && e.message || e)};
    }
  }

  // Card errors as a person can act on them: Stripe's (or the mock's) words can be technical
  // ("Bad request", "invalid_number").
  function plain(message) {
    const m = String(message || "").toLowerCase();
    if (m.includes("declined")) return message;
    if (m.includes("number")) return "The card number is not valid: check the digits on the front of your card.";
    if (m.includes("expir") || m.includes("exp_") || m.includes("month") || m.includes("year")) {
      return "Check the expiry date: month and year as printed on your card (MM / YY).";
    }
    if (m.includes("cvc") || m.includes("security code")) {
      return "Check the security code: the 3 digits on the back of your card.";
    }
    return "We could not read these card details. Check the number, expiry date and security code, then try again.";
  }

  // The mock's bare inputs take digits only; people type "4242 4242 4242 4242" (Stripe's own
  // Element accepts spaces itself).
  function tidyMockInputs() {
    const container = card && document.querySelector("#card-element");
    if (!container) return;
    container.querySelectorAll("input[data-field]").forEach((input) => {
      const tidy = input.value.replace(/[\s-]/g, "");
      if (tidy !== input.value) {
        input.value = tidy;
        input.dispatchEvent(new Event("input", {bubbles: true})); // the mock reads values on input
      }
    });
  }

  async function tokenize() {
    if (!stripe || !card) return {error: "The card form is not ready yet: wait a moment, then press Pay again."};
    try {
      tidyMockInputs();
      const result = await stripe.createToken(card);
      if (result.error) return {error: plain(result.error.message)};
      return {token: result.token.id};
    } catch (e) {
      return {error: plain(e && e.message)};
    }
  }

  async function authenticate(clientSecret) {
    const result = await stripe.confirmCardPayment(clientSecret);
    return result.error ? {error: result.error.message || "Authentication failed."} : {ok: true};
  }

  window.tkCard = {mount, tokenize, authenticate};
})();
