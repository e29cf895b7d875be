"""tokenizers (Rust): trains a BPE tokenizer on an in-memory corpus, encodes and decodes."""
# dists: tokenizers, huggingface-hub
import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

tok = Tokenizer(models.BPE(unk_token="[UNK]"))
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["[UNK]", "[PAD]"], show_progress=False)
text = ["the quick brown fox jumps over the lazy dog"] * 50 + ["tokenizers are fast and the fox agrees"] * 50
tok.train_from_iterator(text, trainer)
enc = tok.encode("the fox is quick")
print(tok.get_vocab_size(), enc.tokens, enc.ids)
print(tok.decode(enc.ids))
wl = Tokenizer(models.WordLevel({"a": 0, "b": 1, "[UNK]": 2}, unk_token="[UNK]"))
wl.pre_tokenizer = pre_tokenizers.Whitespace()
print(wl.encode("a b c").ids, len(tok.to_str()) > 1000)
