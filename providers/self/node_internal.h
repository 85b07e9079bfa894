#pragma once
// Internal to providers/self: the two Node implementations (node.h) and
// helpers they and the provider (self_provider.cc) share.

#include <memory>
#include <string>
#include <vector>

#include "providers/self/node.h"

namespace crosslink::providers::self::internal {

std::unique_ptr<Node> NewLocalNode(const topology::NodeDelivery& delivery, NodeOptions options);
std::unique_ptr<Node> NewBundleNode(const topology::NodeDelivery& delivery, NodeOptions options);

// Validates every name and setting of `change` (kInvalidArgument).
Status ValidateChange(const NodeChange& change);

// The block's settings after `change`, from the block now on the node
// (`current`, empty when there is none); nullopt when the change leaves the
// block alone.
std::optional<ManagedSettings> TargetSettings(const NodeChange& change,
                                              const ManagedSettings& current);

// sha256 of each regular file of `dir` (temp files of a transaction skipped);
// an absent directory is empty.
Result<std::map<std::string, std::string>> HashFiles(FileSystem& fs, const std::string& dir);

// The flat keys of the outside settings `yml` has disabled, sorted, unique.
std::vector<std::string> TakenOver(const YmlFile& yml);

// "a, b, c"
std::string JoinNames(const std::vector<std::string>& names);

bool Contains(const std::vector<std::string>& list, const std::string& s);
// Appends `s` unless `list` has it (keeps the first-seen order).
void AddUnique(std::vector<std::string>* list, const std::string& s);

}  // namespace crosslink::providers::self::internal
