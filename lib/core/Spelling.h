// Did-you-mean for misspelt names (manifest columns, experiment keys and sections).
#pragma once

#include <set>
#include <string>

namespace mst {

// Edit distance with adjacent transpositions (optimal string alignment): 'lable' is one edit from 'label'.
size_t editDistance(const std::string& a, const std::string& b);

// The candidate closest to `word` within a third of its length (at least 1 edit, at most 3), or "".
std::string closestName(const std::string& word, const std::set<std::string>& candidates);

}  // namespace mst
