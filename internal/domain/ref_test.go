package domain_test

import (
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

func TestValidateRef(t *testing.T) {
	tests := []struct {
		name string
		ref  string
		ok   bool
	}{
		{"letters, dash, digits", "C-1042", true},
		{"slashes and an upper-case code", "CIN/2024/001", true},
		{"digits only", "12345", true},
		{"lower-case prefix", "c-7", true},
		{"exactly 32 characters", "C-" + strings.Repeat("1", 30), true},
		{"empty", "", false},
		{"33 characters", "C-" + strings.Repeat("1", 31), false},
		{"a space", "C 1042", false},
		{"a trailing space", "C-1042 ", false},
		{"other punctuation", "C_1042", false},
		{"non-ASCII letter", "É-1042", false},
		{"a joined-up name", "JohnSmith", false},
		{"a name with a number", "Smith-1", false},
		{"a lower-case name with a number", "smith-12", false},
		{"a joined-up name with a number", "JohnSmith1", false},
		{"a lower-case word", "john", false},
		{"no digit", "ABC", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.ValidateRef(tt.ref)
			if got, want := err == nil, tt.ok; got != want {
				t.Fatalf("ValidateRef(%q) = %v, want ok=%v", tt.ref, err, want)
			}
			if err != nil {
				wantEqual(t, "code", domain.ErrorCode(err), domain.EINVALID)
			}
		})
	}
}
