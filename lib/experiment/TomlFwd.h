// Forward declaration of toml++'s table, so that headers need not include toml++.
#pragma once

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml
