// The cart: a list of {name, price, qty}.

function total(items) {
  let sum = 0;
  for (let i = 0; i < items.length; i++) {
    sum += items[i].price * items[i].qty;
  }
  return sum;
}

function names(items) {
  return items.map((item) => item.name);
}

module.exports = { total, names };
