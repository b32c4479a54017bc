package cli

// reportText is the service's redacted report for ids (every account when
// empty).
func reportText(s *session, ids []string) string {
	return s.svc.Report(ids...).Text()
}
