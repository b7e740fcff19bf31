package dev.finetune4j.model.io;

import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertWeights;
import java.util.Map;

/**
 * BERT weights read from an ONNX export.
 *
 * @param weights Hugging Face {@code BertModel} keys without the {@code bert.} prefix
 *     ({@code embeddings.word_embeddings.weight}, {@code encoder.layer.N...}, {@code pooler.dense.*}
 *     when the export has a pooler); Linear weights in HF's [out, in] layout
 * @param config from the {@code config.json} beside the file if there is one, else inferred
 */
public record OnnxBertWeights(Map<String, HostTensor> weights, BertConfig config) {}
