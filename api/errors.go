package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
)

// apiError is an error with its HTTP status and a stable code for clients.
type apiError struct {
	status  int
	code    string
	message string
	details any
}

func (e *apiError) Error() string { return e.message }

func badRequest(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "bad_request", message: msg}
}

func notFound(msg string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "not_found", message: msg}
}

func forbidden(msg string) *apiError {
	return &apiError{status: http.StatusForbidden, code: "forbidden", message: msg}
}

// writeError maps any error to its status and the JSON error body: the one
// place where errors become HTTP statuses.
func writeError(c *gin.Context, err error) {
	var ae *apiError
	var ve *layers.ValidationError
	var ce *layers.ConflictError
	var mbe *http.MaxBytesError
	var de *spatial.DecodeError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &de):
		ae = badRequest("body " + de.Msg)
	case errors.As(err, &ve):
		ae = &apiError{status: http.StatusUnprocessableEntity, code: "invalid_feature", message: err.Error(), details: ve.Problems}
	case errors.As(err, &ce):
		ae = &apiError{status: http.StatusConflict, code: "version_conflict", message: err.Error(),
			details: gin.H{"current_version": ce.Current, "if_match": ce.Want}}
	case errors.As(err, &mbe):
		ae = &apiError{status: http.StatusRequestEntityTooLarge, code: "too_large", message: "request body is larger than the limit"}
	case errors.Is(err, layers.ErrNotFound):
		ae = notFound(err.Error())
	case errors.Is(err, tiles.ErrOverviewPending):
		c.Header("Retry-After", "5")
		ae = &apiError{status: http.StatusServiceUnavailable, code: "overview_pending", message: err.Error()}
	case errors.Is(err, layers.ErrUnavailable):
		ae = &apiError{status: http.StatusServiceUnavailable, code: "store_unavailable", message: err.Error()}
	case errors.Is(err, context.Canceled):
		ae = &apiError{status: 499, code: "canceled", message: "request canceled"}
	case errors.Is(err, context.DeadlineExceeded):
		ae = &apiError{status: http.StatusServiceUnavailable, code: "timeout", message: err.Error()}
	default:
		ae = &apiError{status: http.StatusInternalServerError, code: "internal", message: "internal error"}
		logFrom(c).Error("request failed", "path", c.Request.URL.Path, "err", err)
	}
	body := gin.H{"code": ae.code, "message": ae.message}
	if ae.details != nil {
		body["details"] = ae.details
	}
	c.AbortWithStatusJSON(ae.status, gin.H{"error": body})
}
