// Starts Swagger UI from data attributes, so the page needs no inline script (CSP).
(function () {
  var container = document.getElementById("swagger-ui-container");
  var config = {
    url: container.dataset.specUrl,
    dom_id: "#swagger-ui-container",
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout",
  };
  var overrides = JSON.parse(container.dataset.config || "{}");
  Object.keys(overrides).forEach(function (key) { config[key] = overrides[key]; });
  window.ui = SwaggerUIBundle(config);
})();
