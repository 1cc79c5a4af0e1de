const assert = require("assert");
const { formatPrice, sum } = require("./money.js");

assert.strictEqual(formatPrice(3, "€"), "€3.00");
assert.strictEqual(formatPrice(2.5), "$2.50");
assert.strictEqual(sum([1, 2]), 3);
