#include "engine/cli/builtin_providers.h"

#include <utility>

#include "providers/eck/eck_provider.h"
#include "providers/elasticsearch/elasticsearch_provider.h"

namespace crosslink::cli {
namespace {

class Builtin : public BuiltinProviders {
 public:
  explicit Builtin(const BuiltinProviderOptions& options) {
    providers::eck::EckProviderOptions eck_options;
    eck_options.ready_timeout = options.eck_ready_timeout;
    eck_options.poll_interval = options.eck_poll_interval;
    eck_ = providers::eck::NewEckProvider(std::move(eck_options));

    providers::elasticsearch::ElasticsearchProviderOptions es_options;
    es_options.resolvers[topology::Platform::kEck] = eck_->endpoints();
    es_options.check_timeout = options.connection_check_timeout;
    es_options.poll_interval = options.connection_check_poll_interval;
    elasticsearch_ = providers::elasticsearch::NewElasticsearchProvider(std::move(es_options));

    set_.Add(eck_.get());
    set_.Add(elasticsearch_.get());
  }

  providers::ProviderSet& set() override { return set_; }

 private:
  // Declared in dependency order: elasticsearch holds eck's resolver, so it
  // is destroyed first.
  std::unique_ptr<providers::eck::EckProvider> eck_;
  std::unique_ptr<providers::Provider> elasticsearch_;
  providers::ProviderSet set_;
};

}  // namespace

std::unique_ptr<BuiltinProviders> NewBuiltinProviders(const BuiltinProviderOptions& options) {
  return std::make_unique<Builtin>(options);
}

}  // namespace crosslink::cli
