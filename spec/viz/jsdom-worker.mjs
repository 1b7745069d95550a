// Parses SVG documents with jsdom in a worker thread: jsdom 29 needs Node's require of ES modules,
// which jest's module loader does not offer. Replies with the element tree as plain data.
import { parentPort } from 'node:worker_threads';
import { JSDOM } from 'jsdom';

function toTree(element) {
  return {
    tag: element.localName,
    namespace: element.namespaceURI,
    attrs: Object.fromEntries([...element.attributes].map((a) => [a.name, a.value])),
    text: element.textContent,
    children: [...element.children].map(toTree),
  };
}

parentPort.on('message', ({ id, svg }) => {
  try {
    const doc = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
    parentPort.postMessage({ id, tree: toTree(doc.documentElement) });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
