// The design page's 3D viewer (three.js, console/package.json; "three" and "three/addons/" come from the
// page's import map, served from console/node_modules by custos.console.finders).
//
// It draws the design's web preview (a GLB in millimetres, in the design's own frame, Z up) and the
// design's markups as numbered markers at their stored positions (#design-markups-data, written by the
// server with the list). A click on the model, or Enter while the viewer has focus (the point under the
// centre cross), raycasts to the surface and fills the "Add markup" form with that point and the camera;
// the form posts as without JavaScript. When the markups block is swapped in by htmx the markers are
// redrawn from its new data. Without this script (or WebGL) the page keeps its message and the list.
//
// For tests and people alike: data-drawn="<triangles>" on #design-viewer once the model is drawn,
// data-markers="<n>" the markers shown, data-bounds the model's bounding box (mm).
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";

const box = document.getElementById("design-viewer");
const status = document.getElementById("viewer-status");
const SEVERITY_LABEL = { INFO: "info", MINOR: "minor", MAJOR: "major", CRITICAL: "critical" };

function say(text) {
  if (status) status.textContent = text;
}

function round(value) {
  return Math.round(value * 1000) / 1000;
}

function start() {
  if (!box || !box.dataset.previewUrl) return;
  let renderer;
  try {
    // preserveDrawingBuffer: the drawn picture stays readable (screenshots, toDataURL) after a frame
    renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  } catch (error) {
    say("The 3D view needs WebGL, which this browser does not offer; the markups are listed below.");
    box.dataset.error = "webgl";
    return;
  }
  const width = () => box.clientWidth || 600;
  const height = () => box.clientHeight || 420;
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  renderer.setSize(width(), height());
  renderer.setClearColor(0xeef1f4, 1);
  const canvas = renderer.domElement;
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-describedby", "viewer-help");
  canvas.setAttribute("aria-label", "3D view of the design");

  const scene = new THREE.Scene();
  scene.add(new THREE.HemisphereLight(0xffffff, 0x8a9099, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.8);
  scene.add(sun);
  const camera = new THREE.PerspectiveCamera(40, width() / height(), 0.1, 1e6);
  camera.up.set(0, 0, 1); // CAD frame: Z up
  const controls = new OrbitControls(camera, canvas);
  controls.listenToKeyEvents(canvas);
  controls.keys = { LEFT: "ArrowLeft", UP: "ArrowUp", RIGHT: "ArrowRight", BOTTOM: "ArrowDown" };

  const overlay = document.createElement("div");
  overlay.className = "viewer-markers";
  const cross = document.createElement("div");
  cross.className = "viewer-cross";
  cross.setAttribute("aria-hidden", "true");
  box.textContent = "";
  box.append(canvas, overlay, cross);

  let model = null;
  let markers = [];
  let picked = null;

  function render() {
    sun.position.copy(camera.position);
    renderer.render(scene, camera);
    place();
  }

  function project(point) {
    const v = new THREE.Vector3(point.x, point.y, point.z).project(camera);
    return { x: ((v.x + 1) / 2) * width(), y: ((1 - v.y) / 2) * height(), visible: v.z > -1 && v.z < 1 };
  }

  function place() {
    for (const marker of markers.concat(picked ? [picked] : [])) {
      const at = project(marker.position);
      marker.node.style.left = at.x + "px";
      marker.node.style.top = at.y + "px";
      marker.node.hidden = !at.visible;
    }
  }

  function markups() {
    const source = document.getElementById("design-markups-data");
    return source ? JSON.parse(source.textContent) : [];
  }

  function look(position, target) {
    if (target) controls.target.set(target.x, target.y, target.z);
    if (position) camera.position.set(position.x, position.y, position.z);
    controls.update();
    render();
  }

  function drawMarkers() {
    overlay.textContent = "";
    markers = markups().map((item) => {
      const node = document.createElement("button");
      node.type = "button";
      node.className = "marker severity-" + item.severity.toLowerCase() + " markup-" + item.status.toLowerCase();
      node.textContent = String(item.number);
      const label = `Markup ${item.number}, ${SEVERITY_LABEL[item.severity] || item.severity}, ${item.status.toLowerCase()}: ${item.text}`;
      node.title = label;
      node.setAttribute("aria-label", label + " (go to the list)");
      node.addEventListener("click", () => {
        const row = document.getElementById("markup-" + item.id);
        if (row) {
          row.scrollIntoView({ block: "center" });
          row.classList.add("markup-current");
          setTimeout(() => row.classList.remove("markup-current"), 2000);
        }
      });
      overlay.append(node);
      return { position: item.position, node, item };
    });
    if (picked) overlay.append(picked.node);
    // "Show on the model" in the list turns the camera to where the markup was written
    document.querySelectorAll("button.markup-show").forEach((button) => {
      const marker = markers.find((m) => m.item.id === button.dataset.markup);
      if (!marker) return;
      button.hidden = false;
      button.onclick = () => {
        const p = marker.item.position;
        look(marker.item.camera_position, marker.item.camera_target || p);
        canvas.focus();
        say(`Showing markup ${marker.item.number} at (${round(p.x)}, ${round(p.y)}, ${round(p.z)}) mm.`);
      };
    });
    box.dataset.markers = String(markers.length);
    place();
  }

  function pick(clientX, clientY) {
    const form = document.getElementById("markup-form");
    if (!model || !form) return;
    const rect = canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2(((clientX - rect.left) / rect.width) * 2 - 1, -((clientY - rect.top) / rect.height) * 2 + 1);
    const ray = new THREE.Raycaster();
    ray.setFromCamera(ndc, camera);
    const hit = ray.intersectObject(model, true)[0];
    if (!hit) {
      say("No surface there: click on the model itself.");
      return;
    }
    const point = model.worldToLocal(hit.point.clone()); // the design's frame (mm)
    const set = (name, value) => {
      const field = form.querySelector(`[name="${name}"]`);
      if (field) field.value = String(round(value));
    };
    ["x", "y", "z"].forEach((axis) => {
      set(axis, point[axis]);
      set("camera_" + axis, camera.position[axis]);
      set("target_" + axis, controls.target[axis]);
    });
    if (!picked) {
      const node = document.createElement("span");
      node.className = "marker marker-new";
      node.textContent = "+";
      node.setAttribute("aria-hidden", "true");
      picked = { node, position: point };
      overlay.append(node);
    }
    picked.position = point;
    place();
    box.dataset.picked = [point.x, point.y, point.z].map(round).join(",");
    say(`Point picked at (${round(point.x)}, ${round(point.y)}, ${round(point.z)}) mm: write the comment and press Add markup.`);
    const text = form.querySelector('[name="annotation_text"]');
    if (text) text.focus({ preventScroll: true });
  }

  // a click (not the end of a drag) picks a point
  let down = null;
  canvas.addEventListener("pointerdown", (event) => { down = { x: event.clientX, y: event.clientY }; });
  canvas.addEventListener("pointerup", (event) => {
    if (down && Math.hypot(event.clientX - down.x, event.clientY - down.y) < 4) pick(event.clientX, event.clientY);
    down = null;
  });
  canvas.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      pick(rect.left + rect.width / 2, rect.top + rect.height / 2);
    }
  });
  controls.addEventListener("change", render);
  window.addEventListener("resize", () => {
    camera.aspect = width() / height();
    camera.updateProjectionMatrix();
    renderer.setSize(width(), height());
    render();
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target && event.target.id === "design-markups") {
      const added = picked && !document.querySelector('#markup-form [aria-invalid="true"], #markup-form .error');
      if (added) {
        picked.node.remove();
        picked = null;
        delete box.dataset.picked;
      }
      drawMarkers();
      if (added) say(`Markup ${markers.length} added at the picked point.`);
    }
  });

  say("Loading the 3D preview…");
  new GLTFLoader().load(
    box.dataset.previewUrl,
    (gltf) => {
      model = gltf.scene;
      let triangles = 0;
      model.traverse((node) => {
        if (!node.isMesh) return;
        node.material = new THREE.MeshStandardMaterial({ color: 0x9aa6b2, metalness: 0.25, roughness: 0.55, side: THREE.DoubleSide });
        const geometry = node.geometry;
        triangles += (geometry.index ? geometry.index.count : geometry.attributes.position.count) / 3;
      });
      scene.add(model);
      const bounds = new THREE.Box3().setFromObject(model);
      const size = bounds.getSize(new THREE.Vector3());
      const centre = bounds.getCenter(new THREE.Vector3());
      const reach = Math.max(size.length(), 1);
      camera.near = reach / 1000;
      camera.far = reach * 100;
      camera.updateProjectionMatrix();
      controls.target.copy(centre);
      camera.position.copy(centre).add(new THREE.Vector3(0.9, -1.1, 0.8).normalize().multiplyScalar(reach * 1.25));
      controls.update();
      drawMarkers();
      render();
      box.dataset.bounds = JSON.stringify({
        min: [bounds.min.x, bounds.min.y, bounds.min.z].map(round),
        max: [bounds.max.x, bounds.max.y, bounds.max.z].map(round),
      });
      box.dataset.drawn = String(triangles);
      say(`3D preview: ${triangles} triangles, ${markers.length} markup${markers.length === 1 ? "" : "s"} shown.`);
    },
    undefined,
    () => {
      box.dataset.error = "load";
      say("The 3D preview could not be loaded; the markups are listed below.");
    },
  );
}

start();
