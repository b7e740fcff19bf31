package dev.finetune4j.model.bert;

import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameter names and shapes of a Hugging Face {@code BertModel} (without the {@code bert.}
 * prefix), and a check that a weight map has them all.
 */
public final class BertWeights {
    private BertWeights() {}

    /** Every parameter of the encoder (pooler excluded), in checkpoint order, with its HF shape. */
    public static Map<String, long[]> expectedShapes(BertConfig c) {
        return BertModel.shapes(c, "", false);
    }

    public static Map<String, long[]> poolerShapes(BertConfig c) {
        Map<String, long[]> m = BertModel.shapes(c, "", true);
        m.keySet().retainAll(java.util.Set.of("pooler.dense.weight", "pooler.dense.bias"));
        return m;
    }

    /**
     * Checks that every encoder parameter exists with its HF shape (and the pooler, if any part of
     * it is present); lists all problems in one UserError naming {@code source}.
     */
    public static void check(BertConfig c, Map<String, HostTensor> weights, String source) {
        List<String> missing = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        Map<String, long[]> expected = BertModel.shapes(c, "",
                weights.containsKey("pooler.dense.weight") || weights.containsKey("pooler.dense.bias"));
        expected.forEach((k, shape) -> {
            HostTensor t = weights.get(k);
            if (t == null) missing.add(k);
            else if (!Arrays.equals(t.shape(), shape)) {
                wrong.add(k + " is " + t.shapeString() + ", expected " + Arrays.toString(shape));
            }
        });
        if (missing.isEmpty() && wrong.isEmpty()) return;
        StringBuilder sb = new StringBuilder(source).append(": not a complete BERT encoder for ")
                .append(describe(c)).append('.');
        if (!missing.isEmpty()) {
            sb.append("\n  missing ").append(missing.size()).append(" tensor(s): ").append(abbreviate(missing));
        }
        if (!wrong.isEmpty()) {
            sb.append("\n  wrong shape: ").append(abbreviate(wrong));
        }
        sb.append("\n  Check that the weights and config.json belong to the same BERT-family model"
                + " (present tensors: ").append(abbreviate(new ArrayList<>(weights.keySet()))).append(')');
        throw new UserError(sb.toString());
    }

    static String describe(BertConfig c) {
        return "hidden_size=" + c.hiddenSize() + ", num_hidden_layers=" + c.numHiddenLayers()
                + ", intermediate_size=" + c.intermediateSize() + ", vocab_size=" + c.vocabSize();
    }

    private static String abbreviate(List<String> items) {
        int max = 12;
        if (items.size() <= max) return String.join(", ", items);
        return String.join(", ", items.subList(0, max)) + ", ... (" + (items.size() - max) + " more)";
    }
}
