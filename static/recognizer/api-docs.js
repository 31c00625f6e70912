"use strict";
// Accessibility of what Swagger UI renders: its title, version and description come before its <main>,
// in no landmark, so they are made a region named by the title.
// Swagger UI titles the API with an <h1> and its groups of operations with <h3>s, skipping level 2.
// The page has its own level-one heading, so Swagger UI's title is made level 2: headings then go
// down one level at a time, as screen-reader users navigating by heading expect.
(function () {
  const root = document.getElementById("swagger-ui");
  const label = () => {
    for (const title of root.querySelectorAll("h1.title:not([aria-level])")) {
      title.id = title.id || "api-title";
      title.setAttribute("aria-level", "2");
    }
    for (const about of root.querySelectorAll(".information-container:not([role])")) {
      about.setAttribute("role", "region");
      about.setAttribute("aria-labelledby", "api-title");
    }
  };
  new MutationObserver(label).observe(root, { childList: true, subtree: true });
})();
