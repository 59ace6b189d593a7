package delta

import (
	"fmt"
	"maps"
	"strings"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Domain metadata lets an application keep its own configuration in the
// table's log, committed atomically with data (PROTOCOL.md, "Domain
// Metadata"): a streaming sink's progress, a pipeline's lineage, an
// ingestion tool's watermark. Names starting with "delta." belong to Delta
// itself (clustering, row tracking) and are refused here.

// SetDomainMetadata stages configuration for the user-controlled metadata
// domain in this transaction's commit, replacing the domain's previous
// configuration. A table without the domainMetadata writer feature gets it
// in the same commit (writer version 7). Two transactions that change the
// same domain conflict (ConflictConcurrentDomain).
func (x *Transaction) SetDomainMetadata(domain, configuration string) error {
	return x.stageDomain(protocol.DomainMetadata{Domain: domain, Configuration: configuration})
}

// RemoveDomainMetadata stages the removal of a live user-controlled
// domain; removing a domain the snapshot does not have is an
// ErrInvalidArgument.
func (x *Transaction) RemoveDomainMetadata(domain string) error {
	if x.snap != nil {
		if _, ok := x.snap.state.LiveDomains()[domain]; !ok {
			return fmt.Errorf("%w: domain %q does not exist at version %d", ErrInvalidArgument, domain, x.readVersion)
		}
	}
	return x.stageDomain(protocol.DomainMetadata{Domain: domain, Removed: true})
}

func (x *Transaction) stageDomain(d protocol.DomainMetadata) error {
	if x.done {
		return ErrTxnDone
	}
	if err := validateUserDomain(d.Domain); err != nil {
		return err
	}
	for _, staged := range x.domains {
		if staged.Domain == d.Domain {
			return fmt.Errorf("%w: domain %q is already changed in this transaction (a commit holds one action per domain)", ErrInvalidArgument, d.Domain)
		}
	}
	if !x.proto.SupportsFeature("domainMetadata") {
		meta := *x.meta
		meta.Configuration = maps.Clone(meta.Configuration)
		if meta.Configuration == nil {
			meta.Configuration = map[string]string{}
		}
		meta.Configuration["delta.feature.domainMetadata"] = "supported"
		x.meta = &meta
		// The request is consumed into the protocol; the metadata itself
		// is unchanged, so no metaData action (and no metadata conflict).
		if err := x.refreshProtocol(); err != nil {
			return err
		}
	}
	x.domains = append(x.domains, d)
	return nil
}

// validateUserDomain refuses names an application may not write: empty
// ones and the system-controlled "delta." namespace.
func validateUserDomain(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty domain name", ErrInvalidArgument)
	case strings.HasPrefix(strings.ToLower(name), "delta."):
		return fmt.Errorf("%w: domain %q is system-controlled (names starting with \"delta.\" are Delta's own)", ErrInvalidArgument, name)
	}
	return nil
}
