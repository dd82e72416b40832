// Runs every exported model of an onnx_fixture output folder in ONNX
// Runtime (onnxruntime-node, CPU) and compares its logits with nasfit's
// own forward pass on the same images: the largest absolute difference
// must stay within 1e-4 and every image must get the same class.
// Usage: node onnx_run.js FOLDER (with onnxruntime-node resolvable).
const fs = require('fs');
const ort = require('onnxruntime-node');

const TOLERANCE = 1e-4;

function floats(path) {
  const b = fs.readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

function argmax(a, at, k) {
  let best = 0;
  for (let j = 1; j < k; j++) if (a[at + j] > a[at + best]) best = j;
  return best;
}

async function check(folder, line) {
  const [name, n, c, h, w, k] = line.split(/\s+/).map((x, i) => (i ? Number(x) : x));
  const session = await ort.InferenceSession.create(`${folder}/${name}.onnx`);
  const pixels = new ort.Tensor('float32', floats(`${folder}/${name}.pixels`), [n, c, h, w]);
  const out = await session.run({ pixels });
  const got = out.logits.data, want = floats(`${folder}/${name}.logits`), probs = out.probabilities.data;
  let maxDiff = 0, agree = 0, maxProbErr = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      maxDiff = Math.max(maxDiff, Math.abs(got[i * k + j] - want[i * k + j]));
      sum += probs[i * k + j];
    }
    maxProbErr = Math.max(maxProbErr, Math.abs(sum - 1));
    if (argmax(got, i * k, k) === argmax(want, i * k, k)) agree++;
  }
  const ok = maxDiff <= TOLERANCE && agree === n && maxProbErr < 1e-5;
  console.log(`onnxruntime ${ort.env.versions ? ort.env.versions.common || '' : ''} ${name}: ${n} images, ` +
              `max |logit difference| ${maxDiff.toExponential(2)}, same class ${agree}/${n}` +
              `${ok ? '' : '  FAIL'}`);
  return ok;
}

(async () => {
  const folder = process.argv[2];
  const lines = fs.readFileSync(`${folder}/cases.txt`, 'utf8').split('\n').filter((l) => l.trim());
  let ok = lines.length > 0;
  for (const line of lines) ok = (await check(folder, line)) && ok;
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.error(`onnx_run: ${e.message}`); process.exit(1); });
