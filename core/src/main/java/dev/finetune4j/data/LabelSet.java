package dev.finetune4j.data;

import dev.finetune4j.UserError;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The classes of a classification task: indices 0..K-1 assigned in sorted order of the label
 * names, so the same data always gives the same mapping. Names are sorted as integers when every
 * name is an integer (so labels "0".."9" get indices 0..9 rather than "10" sorting before "2"),
 * otherwise by {@link String#compareTo}.
 */
public final class LabelSet {
    private final List<String> names;
    private final Map<String, Integer> indexByName;
    private final int[] counts;

    private LabelSet(List<String> names, int[] counts) {
        this.names = List.copyOf(names);
        this.counts = counts.clone();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < this.names.size(); i++) index.put(this.names.get(i), i);
        this.indexByName = Map.copyOf(index);
    }

    /** The labels of the training examples, with how many examples each has. */
    public static LabelSet fromExamples(List<Example> examples) {
        Map<String, Integer> counts = new HashMap<>();
        for (Example e : examples) counts.merge(e.label(), 1, Integer::sum);
        List<String> names = sorted(counts.keySet());
        int[] c = new int[names.size()];
        for (int i = 0; i < c.length; i++) c[i] = counts.get(names.get(i));
        return new LabelSet(names, c);
    }

    /**
     * A model's labels first, in its order, then the labels of {@code examples} it does not have, sorted:
     * fine-tuning a classifier again keeps the indices of its labels. Counts are those of the examples.
     */
    public static LabelSet extending(List<String> prior, List<Example> examples) {
        if (prior.isEmpty()) return fromExamples(examples);
        Map<String, Integer> counts = new HashMap<>();
        for (Example e : examples) counts.merge(e.label(), 1, Integer::sum);
        List<String> names = new ArrayList<>(prior);
        names.addAll(sorted(counts.keySet().stream().filter(l -> !prior.contains(l)).toList()));
        int[] c = new int[names.size()];
        for (int i = 0; i < c.length; i++) c[i] = counts.getOrDefault(names.get(i), 0);
        return new LabelSet(names, c);
    }

    /** Labels in exactly the given index order (e.g. read back from a saved model), with counts unknown (0). */
    public static LabelSet ofNames(List<String> namesInIndexOrder) {
        if (namesInIndexOrder.stream().distinct().count() != namesInIndexOrder.size()) {
            throw new IllegalArgumentException("duplicate label names: " + namesInIndexOrder);
        }
        return new LabelSet(namesInIndexOrder, new int[namesInIndexOrder.size()]);
    }

    static List<String> sorted(Collection<String> labels) {
        List<String> names = new ArrayList<>(labels);
        boolean allIntegers = !names.isEmpty() && names.stream().allMatch(n -> n.matches("[+-]?\\d+"));
        Comparator<String> order = allIntegers
                ? Comparator.comparing((String n) -> new BigInteger(n)).thenComparing(Comparator.naturalOrder())
                : Comparator.naturalOrder();
        names.sort(order);
        return names;
    }

    public int size() {
        return names.size();
    }

    /** The index of a label; throws IllegalArgumentException for an unknown one (see {@link #requireKnown}). */
    public int index(String name) {
        Integer i = indexByName.get(name);
        if (i == null) throw new IllegalArgumentException("unknown label \"" + name + "\"; known: " + names);
        return i;
    }

    public boolean contains(String name) {
        return indexByName.containsKey(name);
    }

    public String name(int index) {
        return names.get(index);
    }

    /** Names in index order. */
    public List<String> names() {
        return names;
    }

    /** Training examples per label, in index order. */
    public Map<String, Integer> counts() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) m.put(names.get(i), counts[i]);
        return m;
    }

    public int count(int index) {
        return counts[index];
    }

    /**
     * Fails when any example has a label not in this set.
     *
     * @param origin names the file the examples came from, e.g. {@code "val.csv (data.validation in the recipe)"}
     */
    public void requireKnown(List<Example> examples, String origin) {
        Map<String, List<Integer>> unseen = new TreeMap<>();
        for (Example e : examples) {
            if (!contains(e.label())) unseen.computeIfAbsent(e.label(), l -> new ArrayList<>()).add(e.line());
        }
        if (unseen.isEmpty()) return;
        String list = unseen.entrySet().stream()
                .map(en -> "\"" + en.getKey() + "\" (" + en.getValue().size() + (en.getValue().size() == 1 ? " row" : " rows") + ", first on line "
                        + en.getValue().get(0) + ")")
                .collect(Collectors.joining(", "));
        throw new UserError(origin + " has labels that the training data does not: " + list
                + ". The training labels are: " + String.join(", ", names)
                + ". Fix the labels, or add examples of them to the training data.");
    }

    /** Fails unless there are at least two labels; {@code origin} names the training file. */
    public void requireAtLeastTwo(String origin) {
        if (size() >= 2) return;
        String what = size() == 0 ? "no labelled examples" : "only one label (\"" + names.get(0) + "\")";
        throw new UserError(origin + " has " + what
                + " after cleaning; a classifier needs at least two labels — check data.label_column"
                + " and the cleaning report.");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabelSet other && names.equals(other.names);
    }

    @Override
    public int hashCode() {
        return names.hashCode();
    }

    @Override
    public String toString() {
        return "LabelSet" + counts();
    }
}
