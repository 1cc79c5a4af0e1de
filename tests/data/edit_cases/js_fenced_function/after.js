const fs = require("fs");

function readJson(path) {
  try {
    return JSON.parse(fs.readFileSync(path, "utf8"));
  } catch (err) {
    return null;
  }
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
