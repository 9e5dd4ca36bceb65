// An independent cosignature/v1 implementation, written from c2sp.org/tlog-cosignature, on
// top of Go's reference signed-note and tlog packages (golang.org/x/mod/sumdb/note and tlog).
// The custody interop tests run it against sigil's notes, cosignatures and proofs.
//
//	cosign verify NOTE LOG_VKEY WITNESS_NAME WITNESS_PUBLIC_HEX
//	cosign cosign NOTE LOG_VKEY WITNESS_NAME WITNESS_SEED_HEX TIME
//	cosign consistency OLD_SIZE OLD_ROOT NEW_SIZE NEW_ROOT [PROOF_HASH...]
//
// Hashes are base64. Exit status 0 and "OK ..." on success, 1 and the reason otherwise.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const cosignatureType = 0x04

func keyHash(name string, public ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', cosignatureType})
	h.Write(public)
	return binary.BigEndian.Uint32(h.Sum(nil)[:4])
}

func message(time uint64, text []byte) []byte {
	return append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", time)), text...)
}

// cosigVerifier verifies cosignature/v1 signatures: an 8-byte big-endian time, then Ed25519
// over the cosigned message.
type cosigVerifier struct {
	name   string
	public ed25519.PublicKey
	times  *[]uint64
}

func (v cosigVerifier) Name() string    { return v.name }
func (v cosigVerifier) KeyHash() uint32 { return keyHash(v.name, v.public) }
func (v cosigVerifier) Verify(text, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	time := binary.BigEndian.Uint64(sig[:8])
	if time > 1<<63-1 {
		return false
	}
	if !ed25519.Verify(v.public, message(time, text), sig[8:]) {
		return false
	}
	*v.times = append(*v.times, time)
	return true
}

type cosigSigner struct {
	name    string
	private ed25519.PrivateKey
	time    uint64
}

func (s cosigSigner) Name() string { return s.name }
func (s cosigSigner) KeyHash() uint32 {
	return keyHash(s.name, s.private.Public().(ed25519.PublicKey))
}
func (s cosigSigner) Sign(text []byte) ([]byte, error) {
	sig := make([]byte, 8, 8+ed25519.SignatureSize)
	binary.BigEndian.PutUint64(sig, s.time)
	return append(sig, ed25519.Sign(s.private, message(s.time, text))...), nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func open(path, logVkey string, extra ...note.Verifier) *note.Note {
	msg, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	logVerifier, err := note.NewVerifier(logVkey)
	if err != nil {
		fail("log vkey: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(append([]note.Verifier{logVerifier}, extra...)...))
	if err != nil {
		fail("note.Open: %v", err)
	}
	return n
}

func hash(text string) tlog.Hash {
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(b) != tlog.HashSize {
		fail("bad hash %q", text)
	}
	var h tlog.Hash
	copy(h[:], b)
	return h
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: cosign verify|cosign|consistency ...")
	}
	switch os.Args[1] {
	case "verify":
		public, err := hex.DecodeString(os.Args[5])
		if err != nil || len(public) != ed25519.PublicKeySize {
			fail("bad witness public key")
		}
		var times []uint64
		n := open(os.Args[2], os.Args[3], cosigVerifier{os.Args[4], public, &times})
		fmt.Print("OK")
		for _, sig := range n.Sigs {
			fmt.Printf(" %s", sig.Name)
		}
		for _, t := range times {
			fmt.Printf(" time=%d", t)
		}
		fmt.Println()
	case "cosign":
		seed, err := hex.DecodeString(os.Args[5])
		if err != nil || len(seed) != ed25519.SeedSize {
			fail("bad witness seed")
		}
		time, err := strconv.ParseUint(os.Args[6], 10, 64)
		if err != nil {
			fail("bad time")
		}
		n := open(os.Args[2], os.Args[3])
		signed, err := note.Sign(n, cosigSigner{os.Args[4], ed25519.NewKeyFromSeed(seed), time})
		if err != nil {
			fail("note.Sign: %v", err)
		}
		os.Stdout.Write(signed)
	case "consistency":
		oldSize, err1 := strconv.ParseInt(os.Args[2], 10, 64)
		newSize, err2 := strconv.ParseInt(os.Args[4], 10, 64)
		if err1 != nil || err2 != nil {
			fail("bad size")
		}
		var proof tlog.TreeProof
		for _, h := range os.Args[6:] {
			proof = append(proof, hash(h))
		}
		if err := tlog.CheckTree(proof, newSize, hash(os.Args[5]), oldSize, hash(os.Args[3])); err != nil {
			fail("tlog.CheckTree: %v", err)
		}
		fmt.Println("OK")
	default:
		fail("unknown command %q", os.Args[1])
	}
}
