#pragma once
// ForwardingProvider: a Provider that passes every call to a FakeProvider,
// under the name "elasticsearch". Tests derive from it to watch or alter
// the one call they are about. Thread-safe as far as the fake is; overrides
// that keep data guard it themselves.

#include <string>

#include "providers/fake/fake_provider.h"
#include "providers/provider.h"

namespace crosslink::apply::test_support {

class ForwardingProvider : public providers::Provider {
 public:
  explicit ForwardingProvider(providers::fake::FakeProvider* fake) : fake_(fake) {}
  std::string name() const override { return "elasticsearch"; }
  providers::ReadResponse Read(const providers::ReadRequest& r) override { return fake_->Read(r); }
  providers::ApplyResponse Create(const providers::ApplyRequest& r) override {
    return fake_->Create(r);
  }
  providers::ApplyResponse Update(const providers::ApplyRequest& r) override {
    return fake_->Update(r);
  }
  providers::ApplyResponse Delete(const providers::ApplyRequest& r) override {
    return fake_->Delete(r);
  }

 private:
  providers::fake::FakeProvider* fake_;
};

}  // namespace crosslink::apply::test_support
