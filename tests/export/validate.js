#!/usr/bin/env node
// Validates exports against third-party schemas (../shared/fixtures; never copied into the project).
//   node validate.js stix FIXTURES FILE...   every file is a STIX 2.1 bundle: the OASIS schemas (draft 2020-12) via ajv's 2020 build
//   node validate.js misp FIXTURES FILE...   every file is {"Event":...} or {"response":[{"Event":...}, ...]}: MISP's schema-lax.json (draft-04)
// Prints one line per problem and exits 1 when any file is invalid; prints "ok N" otherwise.
"use strict";
const fs = require("fs");
const path = require("path");
const addFormats = require("ajv-formats");

const [kind, fixtures, ...files] = process.argv.slice(2);
if (!kind || !fixtures || !files.length) {
  console.error("usage: validate.js stix|misp FIXTURES FILE...");
  process.exit(2);
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : d.name.endsWith(".json") ? [path.join(dir, d.name)] : []));
}

// STIX: every object against the OASIS schema of its type (sdos/incident.json, sdos/identity.json, ...), and the bundle against
// common/bundle.json. bundle.json lists every type's schema except incident, grouping, location, note and opinion; an object of those
// falls to its "custom object" branch, oneOf(core, cyber-observable-core), which any SDO passes twice — so a valid incident can never
// pass it (try a minimal one). Those objects are checked against their own schema and left out of the bundle.json run; nothing else is.
const UNLISTED = new Set(["incident", "grouping", "location", "note", "opinion"]);
let validate;
if (kind === "stix") {
  const Ajv2020 = require("ajv/dist/2020");
  // unicodeRegExp: false — the OASIS patterns use escapes that the u flag refuses (fixtures/README.md).
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false, logger: false });
  addFormats(ajv);
  const byType = {};
  for (const f of walk(path.join(fixtures, "stix2", "schemas"))) {
    const schema = JSON.parse(fs.readFileSync(f, "utf8"));
    ajv.addSchema(schema);
    if (/(sdos|sros|observables)$/.test(path.dirname(f))) byType[path.basename(f, ".json")] = schema.$id;
  }
  const base = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/";
  const bundle = ajv.getSchema(base + "common/bundle.json");
  const core = ajv.getSchema(base + "common/core.json");
  validate = (doc) => {
    const errors = [];
    const objects = Array.isArray(doc.objects) ? doc.objects : [];
    objects.forEach((o, i) => {
      const v = byType[o.type] ? ajv.getSchema(byType[o.type]) : core;
      if (!v(o)) errors.push(...v.errors.map((e) => ({ ...e, instancePath: `/objects/${i}` + e.instancePath })));
    });
    const listed = { ...doc, objects: objects.filter((o) => !UNLISTED.has(o.type)) };
    if (!bundle(listed)) errors.push(...bundle.errors);
    validate.errors = errors;
    return errors.length === 0;
  };
} else if (kind === "misp") {
  const Ajv04 = require("ajv-draft-04");
  const ajv = new Ajv04({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(fixtures, "misp", "schema-lax.json"), "utf8")));
} else {
  console.error("unknown kind " + kind);
  process.exit(2);
}

let bad = 0, checked = 0;
for (const f of files) {
  const doc = JSON.parse(fs.readFileSync(f, "utf8"));
  const items = kind === "misp" && Array.isArray(doc.response) ? doc.response : [doc];
  items.forEach((item, i) => {
    checked++;
    if (!validate(item)) {
      bad++;
      for (const err of validate.errors.slice(0, 20)) console.log(`${f}[${i}] ${err.instancePath || "/"} ${err.message} ${JSON.stringify(err.params)}`);
    }
  });
}
if (bad) process.exit(1);
console.log(`ok ${checked}`);
