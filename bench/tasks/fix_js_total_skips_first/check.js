const assert = require("assert");
const { total, names } = require("./cart.js");

const items = [{ name: "a", price: 2, qty: 3 }, { name: "b", price: 5, qty: 1 }];
assert.strictEqual(total(items), 11);
assert.strictEqual(total([]), 0);
assert.deepStrictEqual(names(items), ["a", "b"]);
