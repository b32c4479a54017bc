package accounts

import (
	"errors"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

func errorInfo(err error, now time.Time, secrets []string) *storage.ErrorInfo {
	info := &storage.ErrorInfo{Time: now, Message: scrub(err.Error(), secrets)}
	if oe, ok := oauth.AsError(err); ok {
		info.Kind, info.Op, info.Status = string(oe.Kind), oe.Op, oe.Status
		info.Code, info.Description = scrub(oe.Code, secrets), scrub(oe.Description, secrets)
		info.RequestID, info.TraceID, info.Advice = oe.RequestID, oe.TraceID, oe.Advice
		return info
	}
	var ke *storage.KeychainError
	if errors.As(err, &ke) {
		info.Kind, info.Op, info.Advice = "keychain_"+string(ke.Kind), "keychain "+ke.Op, ke.Advice
		return info
	}
	info.Kind = "other"
	return info
}

func errorDetail(err error, secrets []string) map[string]any {
	info := errorInfo(err, time.Time{}, secrets)
	d := map[string]any{"kind": info.Kind, "message": info.Message}
	add := func(k, v string) {
		if v != "" {
			d[k] = v
		}
	}
	add("op", info.Op)
	add("error", info.Code)
	add("error_description", info.Description)
	add("request_id", info.RequestID)
	add("trace_id", info.TraceID)
	add("advice", info.Advice)
	if info.Status != 0 {
		d["status"] = info.Status
	}
	if oe, ok := oauth.AsError(err); ok && oe.RetryAfter > 0 {
		d["retry_after"] = oe.RetryAfter.String()
	}
	return d
}
