// Run: npm install @tensorflow/tfjs@4.22.0 && node nsfwjs_reference.js <unpacked nsfwjs package> [mobilenet_v2|inception_v3] > nsfwjs-<model>-tfjs.json
// Reference outputs of nsfwjs 4.4.0's MobileNetV2 under @tensorflow/tfjs 4.22.0 (CPU backend),
// for finetune4j's import parity test. Input: x[i] = ((i * 7919) % 1000) / 1000 over the flat
// index of a [1, 224, 224, 3] NHWC tensor (already scaled to [0, 1), as nsfwjs feeds x / 255).
const tf = require('@tensorflow/tfjs');
const pkg = process.argv[2];
(async () => {
  await tf.setBackend('cpu');
  const name = process.argv[3] || 'mobilenet_v2';
  const side = name === 'inception_v3' ? 299 : 224;
  const dir = pkg + '/dist/models/' + name + '/';
  const json = require(dir + 'model.min.js');
  const shards = require('fs').readdirSync(dir).filter(f => f.startsWith('group1-shard')).sort()
      .map(f => Buffer.from(require(dir + f), 'base64'));
  const shard = Buffer.concat(shards);
  const specs = json.weightsManifest.flatMap(g => g.weights);
  const data = shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength);
  const model = await tf.loadLayersModel(tf.io.fromMemory(json.modelTopology, specs, data));
  const n = side * side * 3;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = ((i * 7919) % 1000) / 1000;
  const input = tf.tensor4d(x, [1, side, side, 3]);
  const features = tf.model({inputs: model.inputs, outputs: model.getLayer('flatten_1').output}).predict(input);
  const probabilities = model.predict(input);
  const out = {
    source: 'nsfwjs 4.4.0 dist/models/' + name + ', @tensorflow/tfjs ' + tf.version.tfjs + ', backend ' + tf.getBackend(),
    input: 'x[i] = ((i * 7919) % 1000) / 1000, shape [1, ' + side + ', ' + side + ', 3] NHWC',
    features: Array.from(await features.data()),
    probabilities: Array.from(await probabilities.data()),
  };
  console.log(JSON.stringify(out));
})();
