// Command inventory is an example service that passes every built-in
// policy under the prod profile.
package main

func main() {}
