// Per-op device dispatch, the pattern of mmcv's pytorch_device_registry.hpp:
// an op's front end calls DISPATCH_DEVICE_IMPL(op_impl, args...); each backend
// registers itself with REGISTER_DEVICE_IMPL(op_impl, CPU|CUDA, function).
// CUDA registrations live in cuda/cudabind.cpp, compiled only in CUDA builds,
// so a CPU-only build simply has no CUDA entry and reports it clearly.
#pragma once

#include <torch/extension.h>

#include <array>
#include <string>
#include <type_traits>

namespace mmlean {

template <typename F, F f>
class DeviceRegistry;

template <typename Ret, typename... Args, Ret (*f)(Args...)>
class DeviceRegistry<Ret (*)(Args...), f> {
 public:
  using FunctionType = Ret (*)(Args...);
  static constexpr int kMaxDevices =
      static_cast<int>(at::DeviceType::COMPILE_TIME_MAX_DEVICE_TYPES);

  void Register(at::DeviceType device, FunctionType function) {
    table_[static_cast<int>(device)] = function;
  }
  FunctionType Find(at::DeviceType device) const {
    return table_[static_cast<int>(device)];
  }
  static DeviceRegistry& instance() {
    static DeviceRegistry registry;
    return registry;
  }

 private:
  DeviceRegistry() { table_.fill(nullptr); }
  std::array<FunctionType, kMaxDevices> table_;
};

// The device of the first tensor argument; every other tensor must match it.
inline void collect_device(c10::optional<at::Device>& device, const char* op,
                           const at::Tensor& t) {
  if (!t.defined()) return;
  if (!device.has_value()) {
    device = t.device();
  } else {
    TORCH_CHECK(device->type() == t.device().type(), op,
                ": all tensors must be on the same device, got ", *device,
                " and ", t.device());
  }
}
template <typename T>
inline void collect_device(c10::optional<at::Device>&, const char*, const T&) {}

template <typename... Args>
inline at::Device dispatch_device(const char* op, const Args&... args) {
  c10::optional<at::Device> device;
  (collect_device(device, op, args), ...);
  TORCH_CHECK(device.has_value(), op, ": no tensor argument to dispatch on");
  return *device;
}

}  // namespace mmlean

#define REGISTER_DEVICE_IMPL(key, device, value)                            \
  static int key##_##device##_registered = [] {                             \
    ::mmlean::DeviceRegistry<decltype(&key), key>::instance().Register(     \
        at::k##device, value);                                              \
    return 0;                                                               \
  }()

#define DISPATCH_DEVICE_IMPL(key, ...)                                       \
  [&]() {                                                                    \
    auto device_ = ::mmlean::dispatch_device(#key, __VA_ARGS__);        \
    auto impl_ = ::mmlean::DeviceRegistry<decltype(&key), key>::instance()   \
                     .Find(device_.type());                                  \
    TORCH_CHECK(impl_ != nullptr, #key ": no implementation for device ",    \
                c10::DeviceTypeName(device_.type()),                         \
                " in this build of mmlean._ext (was it built with CUDA? "    \
                "see FORCE_CUDA in setup.py)");                              \
    return impl_(__VA_ARGS__);                                               \
  }()
