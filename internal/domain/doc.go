// Package domain holds safeload's vocabulary: teams, members, cases, concerns,
// the workload policy and the pure rules that turn them into points, capacity,
// load % and RAG colours, plus the interfaces every store must satisfy.
//
// It must not import any I/O, storage or chat library: the engine, the stores
// and the adapters all depend on it, never the other way round.
package domain
