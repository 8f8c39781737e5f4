// Prints, for each blueprint, the bodies and schemas that the reference
// parser (drafter.js) generates for each request and response, in order:
//   NODE_PATH=.../node_modules node scripts/drafter-assets.js FILE...
const fs = require('fs');
const drafter = require('drafter.js');
for (const file of process.argv.slice(2)) {
  let result;
  try {
    result = drafter.parseSync(fs.readFileSync(file, 'utf8'), { requireBlueprintName: false });
  } catch (err) {
    result = err.result || { error: String(err) };
  }
  const messages = [];
  const annotations = [];
  (function walk(e) {
    if (Array.isArray(e)) return e.forEach(walk);
    if (!e || typeof e !== 'object') return;
    if (e.element === 'httpRequest' || e.element === 'httpResponse') {
      const m = { kind: e.element };
      (e.content || []).forEach((c) => {
        if (c.element === 'asset') m[c.meta.classes[0]] = c.content;
      });
      messages.push(m);
    }
    if (e.element === 'annotation') annotations.push({ classes: e.meta.classes, text: e.content });
    Object.values(e).forEach(walk);
  })(result);
  console.log(JSON.stringify({ file, messages, annotations }));
}
