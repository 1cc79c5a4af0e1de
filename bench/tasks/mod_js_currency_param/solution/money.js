// Money formatting for the storefront.

function formatPrice(amount, currency = "$") {
  return currency + amount.toFixed(2);
}

function sum(amounts) {
  return amounts.reduce((a, b) => a + b, 0);
}

module.exports = { formatPrice, sum };
