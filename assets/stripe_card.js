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

  // Friendlier labels for the mock's bare inputs (the real Element renders its own iframe).
  function labelMockInputs(container) {
    const labels = {number: "Card number", exp_month: "MM", exp_year: "YY", cvc: "CVC", postal_code: "ZIP"};
    container.querySelectorAll("input").forEach((input) => {
      const key = input.getAttribute("placeholder");
      if (labels[key]) {
        input.setAttribute("aria-label", labels[key]);
        input.setAttribute("placeholder", labels[key]);
        input.setAttribute("inputmode", "numeric");
        input.setAttribute("autocomplete", "off");
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

  async function tokenize() {
    if (!stripe || !card) return {error: "The card form is not ready yet."};
    try {
      const result = await stripe.createToken(card);
      if (result.error) return {error: result.error.message || "Please check the card details."};
      return {token: result.token.id};
    } catch (e) {
      return {error: "Please check the card details."};
    }
  }

  async function authenticate(clientSecret) {
    const result = await stripe.confirmCardPayment(clientSecret);
    return result.error ? {error: result.error.message || "Authentication failed."} : {ok: true};
  }

  window.tkCard = {mount, tokenize, authenticate};
})();
