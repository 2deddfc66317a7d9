// Validates every object of the YAML files given against the Kubernetes
// schemas (kubernetes-models, offline) and prints one line per object;
// exits 1 at the first invalid one. Kustomizations are checked to list
// files that exist.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseAllDocuments } from "yaml";

async function model(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const base = group === "monitoring.coreos.com" ? "@kubernetes-models/prometheus-operator" : "kubernetes-models";
  const path = group === "" ? `${base}/${version}/${kind}` : `${base}/${group}/${version}/${kind}`;
  try {
    return (await import(path))[kind];
  } catch {
    return null;
  }
}

let failed = false;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length) {
      console.log(`FAIL ${file}: ${doc.errors[0].message}`);
      process.exit(1);
    }
    const obj = doc.toJS();
    if (!obj) continue;
    if (obj.kind === "Kustomization") {
      for (const r of obj.resources ?? []) {
        if (!existsSync(join(dirname(file), r))) {
          console.log(`FAIL ${file}: resource ${r} does not exist`);
          failed = true;
        }
      }
      console.log(`ok ${file}: Kustomization lists ${obj.resources.length} files that exist`);
      continue;
    }
    const Model = await model(obj.apiVersion, obj.kind);
    if (!Model) {
      console.log(`FAIL ${file}: no schema for ${obj.apiVersion} ${obj.kind}`);
      failed = true;
      continue;
    }
    try {
      new Model(obj).validate();
      console.log(`ok ${file}: ${obj.kind} ${obj.metadata?.name} is valid`);
    } catch (e) {
      console.log(`FAIL ${file}: ${obj.kind} ${obj.metadata?.name}: ${e.message}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
