// Widgets for the dashboard.
import { render } from "./render.js";

const DEFAULT_SIZE = 3;

/** Adds two numbers. */
function add(a, b) {
  return a + b;
}

function* ids() {
  let n = 0;
  while (true) yield n++;
}

export default class extends HTMLElement {
  connectedCallback() {
    render(this);
  }
}

export class Counter {
  count = 0;

  increment = () => {
    this.count += 1;
  };

  reset() {
    function zero() {
      return 0;
    }
    this.count = zero();
  }
}

export const api = {
  get(url) {
    return fetch(url);
  },
  post: function (url, body) {
    return fetch(url, { method: "POST", body });
  },
  nested: {
    remove: (url) => fetch(url, { method: "DELETE" }),
  },
};

const double = (x) => x * 2;

module.exports = { add, double, size: DEFAULT_SIZE };
