package reports

import (
	"net/http"

	"github.com/inferno-llm/inferno/daemon/internal/jsonapi"
	"github.com/inferno-llm/inferno/recommend"
	"github.com/inferno-llm/inferno/report"
)

// Recommend ranks the runs of a group for an objective, and returns
// their reports too.
func (srv *Server) Recommend(name string, o recommend.Objective) (recommend.Recommendation, []*report.Report, error) {
	g, ok := srv.groups.get(name)
	if !ok {
		return recommend.Recommendation{}, nil, jsonapi.Errorf(http.StatusNotFound, "no group %q", name)
	}
	if err := o.Validate(); err != nil {
		return recommend.Recommendation{}, nil, jsonapi.WithStatus(http.StatusBadRequest, err)
	}
	reports, err := srv.loadReports(g.Runs)
	if err != nil {
		return recommend.Recommendation{}, nil, err
	}
	rec, err := recommend.Rank(reports, o)
	if err != nil {
		return rec, nil, jsonapi.WithStatus(http.StatusBadRequest, err)
	}
	return rec, reports, nil
}

func (srv *Server) handleRecommend(w http.ResponseWriter, r *http.Request) {
	var o recommend.Objective
	err := jsonapi.Decode(w, r, &o)
	var rec recommend.Recommendation
	if err == nil {
		rec, _, err = srv.Recommend(r.PathValue("name"), o)
	}
	if err != nil {
		jsonapi.WriteError(w, jsonapi.StatusOf(err), "%v", err)
		return
	}
	jsonapi.Write(w, http.StatusOK, rec)
}
