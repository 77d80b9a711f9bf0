// Command payments is an example service whose module files have drifted:
// go.sum lacks a hash, go.mod replaces a dependency with a local fork, and
// vendor/modules.txt no longer matches go.mod.
package main

func main() {}
