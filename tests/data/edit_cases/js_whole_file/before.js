const fs = require("fs");

function readJson(path) {
  return JSON.parse(fs.readFileSync(path, "utf8"));
}

class Store {
  constructor(path) {
    this.path = path;
  }

  save(data) {
    fs.writeFileSync(this.path, JSON.stringify(data));
  }
}

module.exports = { readJson, Store };
