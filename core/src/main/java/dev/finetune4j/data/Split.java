package dev.finetune4j.data;

import java.util.List;

/** Train/validation/test parts of a data set; a part is empty when its fraction was 0. */
public record Split(List<Example> train, List<Example> validation, List<Example> test) {
    public Split {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
        test = List.copyOf(test);
    }
}
