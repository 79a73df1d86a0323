// Package winetest adapts a Windows test binary to Wine 8.0, which CI
// runs it under (.ci/wine/run). Test packages import it under the "wine"
// build tag only; nothing of it ships.
//
// Go 1.26's os.RemoveAll deletes with FileDispositionInformationEx, which
// Wine 8.0 does not implement: it answers STATUS_NOT_IMPLEMENTED, which Go
// does not take as a reason to fall back to the older call, so every
// t.TempDir cleanup fails with "unlinkat ...: Invalid function." Setting
// the runtime's own test switch makes RemoveAll use the older call (the one
// Windows before 10 1607 gets). Linking to it needs
// -ldflags=-checklinkname=0, which only .ci/wine/run passes.
package winetest
