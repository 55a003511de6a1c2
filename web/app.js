document.getElementById("app").textContent = "bankbox";
