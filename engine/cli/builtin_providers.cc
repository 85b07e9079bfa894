#include "engine/cli/builtin_providers.h"

#include <utility>

#include "providers/cloud/cloud_provider.h"
#include "providers/eck/eck_provider.h"
#include "providers/elasticsearch/elasticsearch_provider.h"
#include "providers/pki/pki_provider.h"
#include "providers/self/self_provider.h"

namespace crosslink::cli {
namespace {

class Builtin : public BuiltinProviders {
 public:
  explicit Builtin(const BuiltinProviderOptions& options) {
    providers::eck::EckProviderOptions eck_options;
    eck_options.ready_timeout = options.eck_ready_timeout;
    eck_options.poll_interval = options.eck_poll_interval;
    eck_ = providers::eck::NewEckProvider(std::move(eck_options));

    for (providers::cloud::Flavor flavor :
         {providers::cloud::Flavor::kEch, providers::cloud::Flavor::kEce}) {
      providers::cloud::CloudProviderOptions cloud_options;
      cloud_options.flavor = flavor;
      cloud_options.plan_timeout = options.cloud_plan_timeout;
      cloud_options.poll_interval = options.cloud_poll_interval;
      (flavor == providers::cloud::Flavor::kEch ? ech_ : ece_) =
          providers::cloud::NewCloudProvider(std::move(cloud_options));
    }

    providers::elasticsearch::ElasticsearchProviderOptions es_options;
    es_options.resolvers[topology::Platform::kEck] = eck_->endpoints();
    es_options.resolvers[topology::Platform::kEch] = ech_->endpoints();
    es_options.resolvers[topology::Platform::kEce] = ece_->endpoints();
    es_options.check_timeout = options.connection_check_timeout;
    es_options.poll_interval = options.connection_check_poll_interval;
    elasticsearch_ = providers::elasticsearch::NewElasticsearchProvider(std::move(es_options));

    set_.Add(eck_.get());
    set_.Add(ech_.get());
    set_.Add(ece_.get());
    set_.Add(elasticsearch_.get());

    providers::pki::PkiProviderOptions pki_options;
    pki_options.renew_before = options.pki_renew_before;
    pki_ = providers::pki::NewPkiProvider(pki_options);
    set_.Add(pki_.get());

    providers::self::SelfProviderOptions self_options;
    self_options.restart_timeout = options.self_restart_timeout;
    self_options.poll_interval = options.self_poll_interval;
    self_ = providers::self::NewSelfProvider(std::move(self_options));
    set_.Add(self_.get());
  }

  providers::ProviderSet& set() override { return set_; }

 private:
  // Declared in dependency order: elasticsearch holds the resolvers of eck,
  // ech and ece, so it is destroyed first.
  std::unique_ptr<providers::eck::EckProvider> eck_;
  std::unique_ptr<providers::cloud::CloudProvider> ech_;
  std::unique_ptr<providers::cloud::CloudProvider> ece_;
  std::unique_ptr<providers::Provider> elasticsearch_;
  std::unique_ptr<providers::Provider> pki_;
  std::unique_ptr<providers::Provider> self_;
  providers::ProviderSet set_;
};

}  // namespace

std::unique_ptr<BuiltinProviders> NewBuiltinProviders(const BuiltinProviderOptions& options) {
  return std::make_unique<Builtin>(options);
}

}  // namespace crosslink::cli
