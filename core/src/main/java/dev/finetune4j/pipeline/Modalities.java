package dev.finetune4j.pipeline;

import dev.finetune4j.UserError;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** The modalities on the class path, by the task they serve. */
public final class Modalities {
    private Modalities() {}

    public static List<Modality<?>> all() {
        List<Modality<?>> out = new ArrayList<>();
        for (Modality<?> m : ServiceLoader.load(Modality.class, Modalities.class.getClassLoader())) out.add(m);
        return out;
    }

    public static Modality<?> forTask(String task) {
        List<String> known = new ArrayList<>();
        for (Modality<?> m : all()) {
            if (m.task().equals(task)) return m;
            known.add(m.task());
        }
        throw new UserError("task '" + task + "' has no modality on the class path (known: " + known + ")");
    }
}
