/*
 * ankerl::unordered_dense API, as used by mediasoup 3.27, on top of the C++ standard library.
 *
 * mediasoup uses ankerl::unordered_dense::{map,set} as drop-in hash containers and
 * ankerl::unordered_dense::hash<T> as a hash functor. No Debian suite packages the library, and
 * only the npm registry and Debian's archive are reachable here, so this header provides those
 * three names as aliases of std::unordered_map, std::unordered_set and std::hash.
 *
 * Why the standard containers are a safe substitute: they give every guarantee unordered_dense
 * gives and more. unordered_dense (a vector of values plus an index) invalidates references and
 * iterators on insert and erase, and its erase(iterator) returns the iterator to continue with;
 * std::unordered_map keeps references stable and its erase(iterator) also returns the iterator
 * to continue with. Iteration order is unspecified in both. What is lost is speed: lookups in a
 * node-based map cost a little more than in a dense one. bench/forwarding.ts measures the worker
 * as built.
 */
#ifndef BLINDCALL_ANKERL_UNORDERED_DENSE_COMPAT_H
#define BLINDCALL_ANKERL_UNORDERED_DENSE_COMPAT_H

#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace ankerl::unordered_dense
{
	template<class T, class Enable = void>
	struct hash : std::hash<T>
	{
	};

	template<
	  class Key,
	  class T,
	  class Hash      = hash<Key>,
	  class KeyEqual  = std::equal_to<Key>,
	  class Allocator = std::allocator<std::pair<const Key, T>>>
	using map = std::unordered_map<Key, T, Hash, KeyEqual, Allocator>;

	template<
	  class Key,
	  class Hash      = hash<Key>,
	  class KeyEqual  = std::equal_to<Key>,
	  class Allocator = std::allocator<Key>>
	using set = std::unordered_set<Key, Hash, KeyEqual, Allocator>;
} // namespace ankerl::unordered_dense

#endif /* BLINDCALL_ANKERL_UNORDERED_DENSE_COMPAT_H */
