/* SPDX-License-Identifier: MIT */
/* C++ and Rust symbol demangling through libiberty. */
#ifndef BPFPROF_DEMANGLE_H
#define BPFPROF_DEMANGLE_H

/*
 * Demangle an Itanium-ABI C++ name ("_ZN2ns5Klass3runEi" becomes
 * "ns::Klass::run(int)") or a Rust name, legacy ("_ZN...17h<hash>E") or v0
 * ("_RNv..."), printed without its hash ("rs_panic::validate"). Returns a
 * malloc'd string, or NULL when @name is not a mangled name or the
 * demangler rejects it.
 */
char *demangle(const char *name);

/*
 * Reduce a demangled function name to its qualified name: drop the parameter
 * list, cv/ref qualifiers, " [clone .xxx]" suffixes and, for template
 * instances, the leading return type. "void ns::f<int>(int) const" becomes
 * "ns::f<int>". Returns a malloc'd string (a copy of @demangled when there is
 * nothing to strip), NULL on allocation failure.
 */
char *demangle_base_name(const char *demangled);

#endif
