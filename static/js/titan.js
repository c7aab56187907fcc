// Progressive enhancement for the waitlist pages. Without this file every form still posts and the
// server renders the result; with it, joining happens without a reload and the link can be copied.
(function () {
  "use strict";

  var GENERIC_ERROR = "Something went wrong. Please try again.";
  var RATE_LIMITED = "Too many attempts in a short time. Please wait a minute and try again.";

  function formatNumber(value) {
    return Number(value).toLocaleString("en-US");
  }

  // Put the API's user data into every `data-field` slot and the share links (see _standing.html).
  function showStanding(data) {
    var text = {
      wait_list_position: data.wait_list_position === null ? "Admitted" : "#" + formatNumber(data.wait_list_position),
      total_registered: formatNumber(data.total_registered),
      referral_count: formatNumber(data.referral_count)
    };
    document.querySelectorAll("[data-field]").forEach(function (element) {
      var name = element.getAttribute("data-field");
      if (name === "referral_url") {
        element.value = data.referral_url;
      } else if (name in text) {
        element.textContent = text[name];
      }
    });
    var encoded = encodeURIComponent(data.referral_url);
    document.querySelectorAll("[data-share-template]").forEach(function (link) {
      link.href = link.getAttribute("data-share-template").split("{url}").join(encoded);
    });
  }

  function enhanceJoinForm(form) {
    var input = form.querySelector("input[type=email]");
    var error = form.querySelector("[data-error]");
    var submit = form.querySelector("[data-submit]");
    var result = document.querySelector("[data-join-result]");
    var plainMessages = JSON.parse(form.getAttribute("data-plain-messages") || "{}");

    function setError(message) {
      error.textContent = message || "";
      error.hidden = !message;
      input.classList.toggle("input-invalid", Boolean(message));
      if (message) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      } else {
        input.removeAttribute("aria-invalid");
      }
    }

    function messageFor(status, body) {
      if (status === 429) return RATE_LIMITED;
      var message = (body.email && body.email[0]) || body.detail;
      return message ? plainMessages[message] || message : GENERIC_ERROR;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!input.value.trim()) {
        setError("Enter your email address.");
        return;
      }
      setError("");
      submit.disabled = true;
      submit.setAttribute("aria-busy", "true");
      fetch(form.getAttribute("data-join-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ email: input.value.trim() })
      })
        .then(
          function (response) {
            return response.json().catch(function () { return {}; }).then(function (body) {
              if (response.status !== 201) {
                setError(messageFor(response.status, body));
                return;
              }
              showStanding(body);
              form.hidden = true;
              document.querySelectorAll("[data-notice]").forEach(function (notice) { notice.hidden = true; });
              result.hidden = false;
              result.querySelector("[data-standing-title]").focus();
            });
          },
          function () {
            // No answer at all (offline, server down): fall back to the ordinary form post.
            form.submit();
          }
        )
        .finally(function () {
          submit.disabled = false;
          submit.removeAttribute("aria-busy");
        });
    });
  }

  function copyText(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    input.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function enhanceCopyButton(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(input).then(
        function () {
          button.textContent = "Copied";
          status.textContent = "Link copied to the clipboard.";
          window.setTimeout(function () { button.textContent = label; }, 2000);
        },
        function () {
          input.select();
          status.textContent = "Press Ctrl+C (or Cmd+C) to copy the selected link.";
        }
      );
    });
  }

  // The system share sheet (phones, some desktops), where the browser has one.
  function enhanceShareButton(button) {
    if (!navigator.share) return;
    var input = document.getElementById(button.getAttribute("data-web-share"));
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({ title: "Join me on the Titan waitlist", url: input.value }).catch(function () {});
    });
  }

  document.querySelectorAll("form[data-join-url]").forEach(enhanceJoinForm);
  document.querySelectorAll("[data-web-share]").forEach(enhanceShareButton);
  document.querySelectorAll("[data-copy]").forEach(enhanceCopyButton);
})();
