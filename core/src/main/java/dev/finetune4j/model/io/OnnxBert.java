package dev.finetune4j.model.io;

import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertWeights;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the weights of a BERT encoder from an ONNX export (as made by {@code torch.onnx.export} /
 * Optimum) and renames them to Hugging Face {@code BertModel} keys.
 *
 * <p>Exports keep HF names for embeddings, biases and LayerNorms, but store each Linear weight as
 * an anonymous initializer ({@code onnx::MatMul_885}) in [in, out] layout feeding a MatMul node
 * named after its module ({@code /encoder/layer.0/attention/self/query/MatMul}). Such weights are
 * named from the node (cross-checked with the bias added to the MatMul's output) and transposed to
 * [out, in]. Weights kept outside the file (external data) are refused.
 */
public final class OnnxBert {
    private static final Pattern LINEAR_MODULE = Pattern.compile(
            "(encoder\\.layer\\.\\d+\\.(attention\\.self\\.(query|key|value)|attention\\.output\\.dense"
                    + "|intermediate\\.dense|output\\.dense)|pooler\\.dense)");
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    private OnnxBert() {}

    /** Reads {@code onnxFile}; uses the {@code config.json} beside it if present. */
    public static OnnxBertWeights read(Path onnxFile) {
        Path beside = onnxFile.toAbsolutePath().getParent().resolve("config.json");
        return read(onnxFile, Files.isRegularFile(beside) ? beside : null);
    }

    /** Reads {@code onnxFile}; with {@code configJson} null, infers the configuration from the graph. */
    public static OnnxBertWeights read(Path onnxFile, Path configJson) {
        OnnxGraph g = parse(onnxFile);
        Map<String, OnnxGraph.Tensor> tensors = new HashMap<>(g.initializers);
        Map<String, OnnxGraph.Node> producer = new HashMap<>();
        Map<String, List<OnnxGraph.Node>> consumers = new HashMap<>();
        for (OnnxGraph.Node n : g.nodes) {
            for (String o : n.outputs()) producer.put(o, n);
            for (String i : n.inputs()) consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
            if (n.opType().equals("Constant") && n.attributes().containsKey("value") && !n.outputs().isEmpty()) {
                OnnxGraph.Attribute a = n.attributes().get("value");
                if (a.t() != null) tensors.put(n.outputs().get(0), a.t());
            }
        }
        String file = onnxFile.toString();
        Map<String, HostTensor> weights = new TreeMap<>();
        try {
            // 1. tensors that already carry HF names
            for (Map.Entry<String, OnnxGraph.Tensor> e : g.initializers.entrySet()) {
                String key = hfKey(e.getKey());
                if (key == null || !e.getValue().isFloating()) continue;
                weights.put(key, new HostTensor(e.getValue().dims().clone(), e.getValue().toFloats()));
            }
            // 2. Linear weights feeding MatMul / Gemm nodes
            List<String> conflicts = new ArrayList<>();
            for (OnnxGraph.Node n : g.nodes) {
                boolean gemm = n.opType().equals("Gemm");
                if (!(n.opType().equals("MatMul") || gemm) || n.inputs().size() < 2) continue;
                String wName = n.inputs().get(1);
                boolean preTransposed = false; // true: the stored tensor is already [out, in]
                OnnxGraph.Tensor w = tensors.get(wName);
                if (w == null) {
                    OnnxGraph.Node p = producer.get(wName);
                    if (p != null && p.opType().equals("Transpose") && tensors.containsKey(p.inputs().get(0))) {
                        w = tensors.get(p.inputs().get(0));
                        preTransposed = true;
                    }
                }
                if (w == null || w.dims().length != 2 || !w.isFloating()) continue;
                if (gemm) {
                    OnnxGraph.Attribute tb = n.attributes().get("transB");
                    if (tb != null && tb.i() == 1) preTransposed = !preTransposed;
                }
                String fromName = moduleFromNodeName(n.name());
                String fromBias = moduleFromBias(n, gemm, consumers, tensors);
                String module = fromName != null ? fromName : fromBias;
                if (module == null) continue;
                if (fromName != null && fromBias != null && !fromName.equals(fromBias)) {
                    conflicts.add("node '" + n.name() + "' is named after " + fromName + " but adds bias " + fromBias + ".bias");
                    continue;
                }
                HostTensor t = new HostTensor(w.dims().clone(), w.toFloats());
                weights.put(module + ".weight", preTransposed ? t : t.transpose2d());
            }
            if (!conflicts.isEmpty()) {
                throw new UserError(file + ": cannot tell which weight belongs to which layer: " + String.join("; ", conflicts)
                        + ". Export the model again with torch.onnx.export / optimum and keep node names.");
            }
        } catch (ProtoReader.MalformedException e) {
            throw new UserError(file + ": corrupt ONNX tensor data (" + e.getMessage() + "). Export or copy the file again.");
        }

        BertConfig config;
        if (configJson != null) {
            config = HfConfig.read(configJson).config();
        } else {
            config = infer(file, g, tensors, weights);
        }
        Map<String, HostTensor> ordered = new LinkedHashMap<>();
        for (String k : BertWeights.expectedShapes(config).keySet()) {
            if (weights.containsKey(k)) ordered.put(k, weights.remove(k));
        }
        ordered.putAll(weights);
        BertWeights.check(config, ordered, file + (configJson != null ? " (with " + configJson + ")" : ""));
        return new OnnxBertWeights(ordered, config);
    }

    static OnnxGraph parse(Path onnxFile) {
        try (FileChannel ch = FileChannel.open(onnxFile, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new UserError(onnxFile + ": " + size + " bytes; an ONNX file over 2 GB keeps its weights as external"
                        + " data, which is not supported. Use a safetensors checkpoint (save_pretrained) instead.");
            }
            return OnnxGraph.parseModel(ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
        } catch (NoSuchFileException e) {
            throw new UserError(onnxFile + ": file not found");
        } catch (IOException e) {
            throw new UserError(onnxFile + ": cannot read: " + e.getMessage(), e);
        } catch (OnnxGraph.ExternalDataException e) {
            throw new UserError(onnxFile + ": tensor '" + e.getMessage() + "' is stored as external data (in a separate"
                    + " file), which is not supported. Re-export with the weights inside the .onnx file"
                    + " (onnx.save(model, path, save_as_external_data=False)) or use a safetensors checkpoint.");
        } catch (ProtoReader.MalformedException e) {
            throw new UserError(onnxFile + ": not a valid ONNX model (" + e.getMessage()
                    + "). The file is truncated or corrupt; export or copy it again.");
        }
    }

    /** An HF parameter name for an initializer name, or null if it is not one of ours. */
    static String hfKey(String name) {
        String n = name.startsWith("bert.") ? name.substring(5) : name;
        if (!(n.startsWith("embeddings.") || n.startsWith("encoder.layer.") || n.startsWith("pooler."))) return null;
        if (!(n.endsWith(".weight") || n.endsWith(".bias"))) return null; // position_ids and other buffers
        return n;
    }

    /** "/bert/encoder/layer.0/attention/self/query/MatMul" -> "encoder.layer.0.attention.self.query". */
    static String moduleFromNodeName(String nodeName) {
        if (nodeName == null || nodeName.isEmpty()) return null;
        String s = nodeName.startsWith("/") ? nodeName.substring(1) : nodeName;
        int slash = s.lastIndexOf('/');
        if (slash < 0) return null;
        String module = s.substring(0, slash).replace('/', '.');
        if (module.startsWith("bert.")) module = module.substring(5);
        return LINEAR_MODULE.matcher(module).matches() ? module : null;
    }

    private static String moduleFromBias(OnnxGraph.Node n, boolean gemm, Map<String, List<OnnxGraph.Node>> consumers,
            Map<String, OnnxGraph.Tensor> tensors) {
        List<String> biasNames = new ArrayList<>();
        if (gemm && n.inputs().size() > 2) biasNames.add(n.inputs().get(2));
        for (OnnxGraph.Node c : consumers.getOrDefault(n.outputs().get(0), List.of())) {
            if (!c.opType().equals("Add")) continue;
            for (String in : c.inputs()) if (tensors.containsKey(in)) biasNames.add(in);
        }
        for (String b : biasNames) {
            String key = hfKey(b);
            if (key != null && key.endsWith(".bias")) {
                String module = key.substring(0, key.length() - 5);
                if (LINEAR_MODULE.matcher(module).matches()) return module;
            }
        }
        return null;
    }

    private static BertConfig infer(String file, OnnxGraph g, Map<String, OnnxGraph.Tensor> tensors,
            Map<String, HostTensor> w) {
        HostTensor word = w.get("embeddings.word_embeddings.weight");
        HostTensor pos = w.get("embeddings.position_embeddings.weight");
        HostTensor type = w.get("embeddings.token_type_embeddings.weight");
        HostTensor inter = w.get("encoder.layer.0.intermediate.dense.weight");
        List<String> missing = new ArrayList<>();
        if (word == null) missing.add("embeddings.word_embeddings.weight");
        if (pos == null) missing.add("embeddings.position_embeddings.weight");
        if (type == null) missing.add("embeddings.token_type_embeddings.weight");
        if (inter == null) missing.add("encoder.layer.0.intermediate.dense.weight");
        if (!missing.isEmpty()) {
            throw new UserError(file + ": does not look like a BERT encoder export: cannot find " + String.join(", ", missing)
                    + " (found " + w.size() + " BERT-named tensors). Put the model's config.json beside the file"
                    + " or export a BERT-family model.");
        }
        int vocab = (int) word.shape()[0], hidden = (int) word.shape()[1];
        int layers = 0;
        for (String k : w.keySet()) {
            Matcher m = LAYER.matcher(k);
            if (m.find()) layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
        }
        int heads = inferHeads(g, tensors, hidden);
        if (heads <= 0) {
            throw new UserError(file + ": cannot infer the number of attention heads from the graph."
                    + " Put the model's config.json (with num_attention_heads) beside the .onnx file.");
        }
        double eps = inferEps(g, tensors);
        try {
            return new BertConfig(vocab, hidden, layers, heads, (int) inter.shape()[0], "gelu", 0.1, 0.1,
                    (int) pos.shape()[0], (int) type.shape()[0], eps, 0);
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": inferred an invalid configuration (" + e.getMessage()
                    + "). Put the model's config.json beside the .onnx file.");
        }
    }

    /** Votes from Reshape target shapes [.., .., heads, head_dim] and from the 1/sqrt(head_dim) scale. */
    static int inferHeads(OnnxGraph g, Map<String, OnnxGraph.Tensor> tensors, int hidden) {
        Map<Integer, Integer> votes = new HashMap<>();
        Map<String, OnnxGraph.Node> producer = new HashMap<>();
        for (OnnxGraph.Node n : g.nodes) for (String o : n.outputs()) producer.put(o, n);
        for (OnnxGraph.Node n : g.nodes) {
            if (!n.opType().equals("Reshape") || n.inputs().size() < 2) continue;
            long[] shape = null;
            String s = n.inputs().get(1);
            if (tensors.containsKey(s) && !tensors.get(s).isFloating()) {
                shape = tensors.get(s).toLongs();
            } else if (producer.containsKey(s) && producer.get(s).opType().equals("Concat")) {
                List<String> parts = producer.get(s).inputs();
                shape = new long[parts.size()];
                for (int i = 0; i < parts.size(); i++) {
                    OnnxGraph.Tensor t = tensors.get(parts.get(i));
                    shape[i] = t != null && t.numel() == 1 && !t.isFloating() ? t.toLongs()[0] : -1;
                }
            }
            if (shape != null && shape.length == 4) {
                long h = shape[2], d = shape[3];
                if (h > 0 && d > 0 && h * d == hidden) votes.merge((int) h, 2, Integer::sum);
            }
        }
        if (votes.isEmpty()) {
            // attention scores divided by sqrt(head_dim) (or multiplied by its inverse)
            for (OnnxGraph.Node n : g.nodes) {
                boolean div = n.opType().equals("Div"), mul = n.opType().equals("Mul");
                if (!(div || mul) || !n.name().contains("attention")) continue;
                for (String in : n.inputs()) {
                    OnnxGraph.Tensor t = tensors.get(in);
                    if (t == null || t.numel() != 1 || !t.isFloating()) continue;
                    double v = t.toFloats()[0];
                    double d = div ? v * v : 1 / (v * v);
                    long dr = Math.round(d);
                    if (dr > 0 && Math.abs(d - dr) < 1e-3 * dr && hidden % dr == 0) {
                        votes.merge((int) (hidden / dr), 1, Integer::sum);
                    }
                }
            }
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(-1);
    }

    /** LayerNormalization's epsilon, or the constant added to the variance before Sqrt; else 1e-12. */
    static double inferEps(OnnxGraph g, Map<String, OnnxGraph.Tensor> tensors) {
        Map<String, OnnxGraph.Node> producer = new HashMap<>();
        for (OnnxGraph.Node n : g.nodes) for (String o : n.outputs()) producer.put(o, n);
        for (OnnxGraph.Node n : g.nodes) {
            if (n.opType().equals("LayerNormalization") || n.opType().equals("SkipLayerNormalization")) {
                OnnxGraph.Attribute a = n.attributes().get("epsilon");
                if (a != null && a.f() > 0) return Double.parseDouble(Float.toString(a.f()));
            }
            if (n.opType().equals("Sqrt") && n.name().contains("LayerNorm") && !n.inputs().isEmpty()) {
                OnnxGraph.Node add = producer.get(n.inputs().get(0));
                if (add == null || !add.opType().equals("Add")) continue;
                for (String in : add.inputs()) {
                    OnnxGraph.Tensor t = tensors.get(in);
                    if (t != null && t.numel() == 1 && t.isFloating()) {
                        float v = t.toFloats()[0];
                        if (v > 0 && v < 1e-2) return Double.parseDouble(Float.toString(v));
                    }
                }
            }
        }
        return 1e-12;
    }
}
