// Word-frequency count: tokenising bytes, hashing strings, probing a hash
// table and comparing keys, as a log or text filter would.
// Usage: wordfreq [rounds]; each round counts the words of a generated
// 1 MiB text (about 170k words, a few thousand distinct) from scratch.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Volatile: the compiler cannot precompute the text or the counts.
static volatile uint32_t seed_input = 0x2545f491u;

enum {
  kTextBytes = 1 << 20,
  kTableSlots = 1 << 15,  // a power of two, well above the distinct words
  kMaxWord = 32,
};

static const char* const kSyllables[16] = {"ka", "to", "ri", "nu", "se", "mo", "la", "pe",
                                           "di", "go", "fa", "ju", "be", "xo", "wi", "ze"};

static uint32_t next_random(uint32_t* state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

// Writes word number `id` (one syllable per hex digit) and returns its length.
static int spell(uint32_t id, char* out) {
  int length = 0;
  do {
    const char* syllable = kSyllables[id & 15];
    out[length++] = syllable[0];
    out[length++] = syllable[1];
    id >>= 4;
  } while (id != 0);
  return length;
}

// Words drawn with a skewed distribution (a few very common ones, a long
// tail), capitalised after a full stop, separated by spaces and punctuation.
static void generate(char* text, uint32_t state) {
  int at = 0;
  int capital = 1;
  while (at < kTextBytes - kMaxWord - 2) {
    uint32_t r = next_random(&state);
    uint32_t id = (r & 3) != 0 ? (r >> 8) % 64 : (r >> 8) % 8192;
    int length = spell(id, text + at);
    if (capital) text[at] = (char)(text[at] - 'a' + 'A');
    at += length;
    uint32_t gap = (r >> 2) & 31;
    capital = gap == 0;
    text[at++] = gap == 0 ? '.' : gap == 1 ? ',' : ' ';
    if (gap < 2) text[at++] = ' ';
  }
  text[at] = '\0';
}

struct Entry {
  uint32_t hash;
  uint32_t count;
  uint8_t length;
  char word[kMaxWord];
};

static int is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

// Counts every word of `text` into `table`; returns the distinct words seen.
static uint32_t count_words(const char* text, struct Entry* table) {
  memset(table, 0, sizeof(struct Entry) * kTableSlots);
  uint32_t distinct = 0;
  const char* p = text;
  char word[kMaxWord];
  for (;;) {
    while (*p != '\0' && !is_letter(*p)) ++p;
    if (*p == '\0') break;
    int length = 0;
    uint32_t hash = 2166136261u;
    while (is_letter(*p)) {
      char c = lower(*p++);
      if (length < kMaxWord) word[length++] = c;
      hash = (hash ^ (uint8_t)c) * 16777619u;
    }
    uint32_t slot = hash & (kTableSlots - 1);
    for (;;) {
      struct Entry* entry = &table[slot];
      if (entry->count == 0) {
        entry->hash = hash;
        entry->count = 1;
        entry->length = (uint8_t)length;
        memcpy(entry->word, word, (size_t)length);
        ++distinct;
        break;
      }
      if (entry->hash == hash && entry->length == length && memcmp(entry->word, word, (size_t)length) == 0) {
        ++entry->count;
        break;
      }
      slot = (slot + 1) & (kTableSlots - 1);
    }
  }
  return distinct;
}

// Order-independent over the table's layout: each word's count mixed with
// its hash, plus the most frequent word's count.
static uint64_t summarise(const struct Entry* table) {
  uint64_t sum = 0;
  uint32_t most = 0;
  for (int i = 0; i < kTableSlots; ++i) {
    if (table[i].count == 0) continue;
    sum += (uint64_t)table[i].count * (table[i].hash | 1u);
    if (table[i].count > most) most = table[i].count;
  }
  return sum * 31 + most;
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 40;
  char* text = malloc(kTextBytes);
  struct Entry* table = malloc(sizeof(struct Entry) * kTableSlots);
  if (text == NULL || table == NULL) return 1;
  generate(text, seed_input);
  uint64_t checksum = 0;
  uint32_t distinct = 0;
  for (int round = 0; round < rounds; ++round) {
    text[round % 4096] = ' ';  // each round counts a slightly different text
    distinct = count_words(text, table);
    checksum = checksum * 1099511628211ull + summarise(table);
  }
  printf("wordfreq x%d distinct = %u checksum = %016llx\n", rounds, distinct, (unsigned long long)checksum);
  free(text);
  free(table);
  return 0;
}
