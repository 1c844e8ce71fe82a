// Checks bcrypt hashes with Go's golang.org/x/crypto/bcrypt, the library
// vmango 0.6 used, so tests can prove hashes cross both ways.
//   main verify HASH PASSWORD   exit 0 when they match, 1 when not
//   main hash PASSWORD          print a cost-10 hash
package main

import (
	"fmt"
	"os"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "verify" {
		if err := bcrypt.CompareHashAndPassword([]byte(os.Args[2]), []byte(os.Args[3])); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "hash" {
		hash, err := bcrypt.GenerateFromPassword([]byte(os.Args[2]), 10)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(string(hash))
		return
	}
	fmt.Fprintln(os.Stderr, "usage: main verify HASH PASSWORD | main hash PASSWORD")
	os.Exit(2)
}
