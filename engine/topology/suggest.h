#pragma once
// Small text helpers for diagnostics: "did you mean" suggestions and lists.
// Internal to engine/topology. Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crosslink::topology {

// Optimal string alignment distance (Levenshtein plus adjacent swaps).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely
// typo (at most 1 edit for short words, 2 for words of 5+ characters, or a
// case-only difference); ties go to the earliest candidate.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates);

// "a, b, c" (or "(none)" when empty).
std::string JoinNames(const std::vector<std::string>& names);

// `hint` for an unknown name: "did you mean "x"?" when one is close, else
// "<what>: a, b, c".
std::string SuggestName(std::string_view word, const std::vector<std::string>& candidates,
                        std::string_view what);

}  // namespace crosslink::topology
